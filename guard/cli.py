"""The ``guard`` command: ``guard index build|add|remove|info``, ``guard check``, ``guard calibrate``,
``guard generate``, ``guard serve``.

Results go to stdout (JSON, one object per line); progress and errors go to stderr. Any `GuardError`
ends the command with a one-line message and exit status 1; usage errors exit with 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from guard.exceptions import DependencyError, GuardError, InputError

_BATCH = 64


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:  # everything after NAME belongs to the runner, --help included
        return _run(_cmd_bench, argparse.Namespace(rest=argv[1:]))
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help(sys.stderr)
        return 2
    return _run(args.run, args)


def _run(command: Any, args: argparse.Namespace) -> int:
    try:
        return int(command(args) or 0)
    except GuardError as exc:
        print(f"guard: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("guard: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="guard", description="Suppress forbidden content in model outputs.")
    sub = p.add_subparsers(metavar="COMMAND")

    ix = sub.add_parser("index", help="build and maintain an index").add_subparsers(metavar="ACTION")
    b = ix.add_parser("build", help="build an index from a policy file")
    b.add_argument("policy", type=Path)
    b.add_argument("--out", type=Path, required=True, help="index folder (created or replaced atomically)")
    b.add_argument("--ann", choices=["flat", "hnsw", "ivf"], default="flat", help="search structure (default: exact)")
    b.add_argument("--pq", type=int, default=0, metavar="M",
                   help="with --ann ivf: compress vectors with M product-quantizer codes of 8 bits (M divides the "
                        "embedding dimension, e.g. 48 for MiniLM); scores become approximate")
    b.add_argument("--no-text", action="store_true",
                   help="keep the forbidden texts out of the index (hashes and vectors only); turns the second stage off")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.set_defaults(run=_cmd_build)
    a = ix.add_parser("add", help="add items (a takedown) without a rebuild")
    a.add_argument("index", type=Path)
    a.add_argument("items", nargs="?", type=Path, help="a YAML file with 'items:' in the policy format")
    a.add_argument("--id", help="add one content item with this id (with --text)")
    a.add_argument("--text", help="the text of that item")
    a.add_argument("--action", default="block", choices=["block", "redact", "regenerate"])
    a.set_defaults(run=_cmd_add)
    r = ix.add_parser("remove", help="remove items by id")
    r.add_argument("index", type=Path)
    r.add_argument("ids", nargs="+")
    r.set_defaults(run=_cmd_remove)
    i = ix.add_parser("info", help="print the manifest and the item ids")
    i.add_argument("index", type=Path)
    i.set_defaults(run=_cmd_info)

    c = sub.add_parser("check", help="check texts against an index")
    c.add_argument("text", nargs="?", help="the text to check ('-' reads stdin)")
    c.add_argument("--index", type=Path, required=True)
    c.add_argument("--jsonl", type=Path, help='a file of {"text": ...} lines; other keys are passed through')
    c.add_argument("--redact", action="store_true", help="print the text with matched spans replaced")
    c.set_defaults(run=_cmd_check)

    k = sub.add_parser("calibrate", help="set thresholds from a benign corpus")
    k.add_argument("index", type=Path)
    k.add_argument("--benign", type=Path, required=True, help=".txt (one text per line) or .jsonl with 'text'")
    k.add_argument("--fpr", type=float, default=0.01, help="false-block rate to allow (default 0.01)")
    k.set_defaults(run=_cmd_calibrate)

    g = sub.add_parser("generate", help="generate with the embedded SmolLM2, guarded by an index")
    g.add_argument("prompt", help="the user message ('-' reads stdin); the chat template is applied")
    g.add_argument("--index", type=Path, help="the index to guard with (required unless --no-guard)")
    g.add_argument("--no-guard", action="store_true", help="generate unguarded, for comparison")
    g.add_argument("--stream", action="store_true", help="print text as it passes the checks")
    g.add_argument("--json", action="store_true", help="print one JSON object: text, verdict and counters")
    g.add_argument("--max-new-tokens", type=int, default=256)
    g.add_argument("--check-every", type=int, help="semantic check every N tokens (default: sentence ends)")
    g.set_defaults(run=_cmd_generate)

    s = sub.add_parser("serve", help="serve an OpenAI-compatible proxy that guards an upstream (needs the serve extra)")
    s.add_argument("--index", type=Path, help="the index to guard with (required unless --no-guard)")
    up = s.add_mutually_exclusive_group(required=True)
    up.add_argument("--upstream", help="base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8001/v1")
    up.add_argument("--model", help="'default' (the embedded SmolLM2) or a local transformers folder")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--admin-key", help="turn on the admin routes with this key (default: $GUARD_ADMIN_KEY, else off)")
    s.add_argument("--no-guard", action="store_true", help="serve unguarded: a plain OpenAI-compatible server")
    s.add_argument("--audit-db", type=Path, help="the SQLite audit log (default: beside the index)")
    s.add_argument("--audit-text", action="store_true", help="also store prompts and outputs in the audit log")
    s.add_argument("--check-prompt", action="store_true",
                   help="refuse requests whose prompt already contains forbidden content, before generating")
    s.add_argument("--timeout", type=float, dest="timeout_s", help="seconds to wait for the upstream (default 60)")
    s.set_defaults(run=_cmd_serve)

    bench = sub.add_parser("bench", help="run a benchmark (from the repository root: it needs benchmarks/)",
                           add_help=False)
    bench.add_argument("rest", nargs=argparse.REMAINDER, help="NAME [--data DIR] [options]; see benchmarks/README.md")
    bench.set_defaults(run=_cmd_bench)
    return p


def _cmd_bench(args: argparse.Namespace) -> int:
    """``guard bench NAME ...`` is ``python -m benchmarks NAME ...``: the runners live in the repository."""
    import os

    if (Path.cwd() / "benchmarks" / "__main__.py").is_file() and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        from benchmarks.__main__ import main as bench_main
    except ImportError as exc:
        raise GuardError("the benchmarks are not importable: run `guard bench` from the repository root "
                         "(they live in its benchmarks/ folder, not in the installed package)") from exc
    saved = sys.argv
    sys.argv = ["guard bench", *args.rest]
    try:
        bench_main()
    except SystemExit as exc:  # argparse's --help and usage errors
        return exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = saved
    return 0


# --- index ----------------------------------------------------------------------------------------
def _cmd_build(args: argparse.Namespace) -> int:
    from guard.detectors import translation
    from guard.embedding import DEFAULT_EMBEDDER, MULTILINGUAL_EMBEDDER, load_embedder
    from guard.index import build_index
    from guard.policy import load_policy

    policy = load_policy(args.policy)
    named = policy.embedder in (DEFAULT_EMBEDDER, MULTILINGUAL_EMBEDDER)
    spec = policy.embedder if named else str((args.policy.parent / policy.embedder).resolve())
    if args.pq and args.ann != "ivf":
        raise GuardError("--pq needs --ann ivf (product quantization compresses an IVF index)")
    params = {"pq": args.pq} if args.pq else None
    embedder = load_embedder(spec)
    # the translation check's vectors are embedded now, not on the first text in another language a guard sees
    checks = translation.by_default(embedder.name, not args.no_text)
    index = build_index(policy.items, embedder, ann_kind=args.ann, ann_params=params, progress=not args.quiet,
                        keep_text=not args.no_text, translator=load_embedder(MULTILINGUAL_EMBEDDER) if checks else None)
    folder = index.save(args.out)
    _print({"index": str(args.out), "version": folder.name, **index.counts()})
    return 0


def _cmd_add(args: argparse.Namespace) -> int:
    from guard.guard import Guard
    from guard.index import add_items
    from guard.policy import load_policy, parse_item

    if (args.items is None) == (args.id is None):
        raise InputError("give either a YAML file of items or --id with --text")
    if args.id is not None:
        items = parse_item({"id": args.id, "text": args.text, "action": args.action}, where="--id/--text")
    else:
        items = list(load_policy(args.items).items)
    guard = Guard.load(args.index)
    add_items(guard.index, items, guard.embedder, translator=guard.translator)
    folder = guard.index.save(args.index)
    _print({"added": [it.id for it in items], "version": folder.name, **guard.index.counts()})
    return 0


def _cmd_remove(args: argparse.Namespace) -> int:
    from guard.index import Index

    index = Index.load(args.index)
    index.remove(list(args.ids))
    folder = index.save(args.index)
    _print({"removed": list(args.ids), "version": folder.name, **index.counts()})
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from guard.index import Index

    index = Index.load(args.index)
    info = {k: v for k, v in index.manifest.items() if k != "files"}
    info["items"] = [{k: it[k] for k in ("id", "kind", "action", "windows")} for it in index.items]
    _print(info, indent=2)
    return 0


# --- check and calibrate --------------------------------------------------------------------------
def _cmd_check(args: argparse.Namespace) -> int:
    from guard.guard import Guard
    from guard.types import redact

    if (args.text is None) == (args.jsonl is None):
        raise InputError("give either a TEXT argument or --jsonl FILE")
    records = _read_jsonl(args.jsonl) if args.jsonl else [{"text": _single_text(args.text)}]
    guard = Guard.load(args.index)
    starts: Iterable[int] = range(0, len(records), _BATCH)
    if len(records) > _BATCH:
        from tqdm import tqdm

        starts = tqdm(starts, desc="checking", unit="batch")
    for start in starts:
        batch = records[start : start + _BATCH]
        for record, verdict in zip(batch, guard.check_batch([r["text"] for r in batch])):
            if args.redact and args.jsonl is None:
                print(redact(record["text"], verdict))
                continue
            extra = {k: v for k, v in record.items() if k != "text"}
            out = {**extra, **verdict.to_dict()}
            if args.redact:
                out["redacted"] = redact(record["text"], verdict)
            _print(out)
    return 0


def _single_text(text: str) -> str:
    if text == "-":
        text = _decode(sys.stdin.buffer.read(), "stdin")
    if not text.strip():
        raise InputError("the text is empty: nothing to check")
    return text


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(f"{where}: not valid UTF-8 (line {line}, byte {exc.start})") from None


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every line parsed and validated before anything is checked, so a bad line prints nothing."""
    records = []
    for n, line in enumerate(_decode(_read_bytes(path), str(path)).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise InputError(f'{path}:{n}: expected an object with a string "text"')
        records.append(record)
    if not records:
        raise InputError(f"{path}: no texts to check")
    return records


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from guard.calibrate import calibrate
    from guard.guard import Guard
    from guard.index.store import sha256

    if args.benign.suffix == ".jsonl":
        texts = [r["text"] for r in _read_jsonl(args.benign)]
    else:
        texts = [t for t in _decode(_read_bytes(args.benign), str(args.benign)).splitlines() if t.strip()]
    guard = Guard.load(args.index)
    record = calibrate(guard, texts, fpr=args.fpr, source=f"{args.benign.name} sha256:{sha256(args.benign)[:16]}",
                       progress=True)
    folder = guard.index.save(args.index)
    _print({"version": folder.name, **record})
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from guard.generators.embedded import load_embedded
    from guard.generators.transformers import GuardedModel
    from guard.guard import Guard
    from guard.steering.decode import Steering

    if args.no_guard == (args.index is not None):
        raise InputError("give --index DIR to guard the generation, or --no-guard")
    if args.max_new_tokens < 1:
        raise InputError("--max-new-tokens must be at least 1")
    prompt = _single_text(args.prompt)
    guard = None if args.no_guard else Guard.load(args.index)
    print("guard: loading the embedded SmolLM2-135M-Instruct...", file=sys.stderr)
    model, tokenizer = load_embedded()
    guarded = GuardedModel(model, tokenizer, guard, steering=Steering(check_every=args.check_every))
    if args.stream and not args.json:
        for piece in guarded.stream(prompt, max_new_tokens=args.max_new_tokens):
            print(piece, end="", flush=True)
        print()
        result = guarded.last_results[0]
    else:
        result = guarded.complete(prompt, max_new_tokens=args.max_new_tokens)
        if args.json:
            _print(result.to_dict())
        else:
            print(result.text)
    print(f"guard: {result.action.value}; {len(result.token_ids)} tokens, {result.vetoed_tokens} vetoed, "
          f"{result.backtracks} backtracks", file=sys.stderr)  # fmt: skip
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from guard.server import Settings, create_app
    except ImportError as exc:
        raise DependencyError(f"guard serve needs the serve extra: pip install 'guard-suppress[serve]' ({exc})") from exc

    if args.no_guard and args.index is not None:
        raise InputError("give --index DIR to guard the upstream, or --no-guard, not both")
    settings = Settings.from_env(index=args.index, upstream=args.upstream, model=args.model, guard=not args.no_guard,
                                 admin_key=args.admin_key, audit_db=args.audit_db, timeout_s=args.timeout_s,
                                 audit_text=args.audit_text or None, check_prompt=args.check_prompt or None)  # fmt: skip
    print(f"guard: serving on http://{args.host}:{args.port}/v1 ({'unguarded' if args.no_guard else settings.index})",
          file=sys.stderr)  # fmt: skip
    from guard.guard import Guard

    guard = Guard.load(settings.index) if settings.guard and settings.index is not None else None  # errors before serving
    uvicorn.run(create_app(settings, guard=guard), host=args.host, port=args.port, log_level="warning")
    return 0


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from None


def _print(obj: Any, *, indent: int | None = None) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=indent))


if __name__ == "__main__":
    raise SystemExit(main())
