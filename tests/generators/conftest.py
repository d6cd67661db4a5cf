from ..generation_fixtures import demo_guard, empty_guard, fake_demo_guard, smollm  # noqa: F401
