"""Where completions come from. Both adapters take the request and the guard to apply, and return either an
OpenAI response body or a stream of `Head`, `Delta` and `End` events (see `base`).

* `local.LocalModel`: a transformers model in this process, steered while it decodes;
* `http.HttpUpstream`: any OpenAI-compatible server, a black box checked after the fact.
"""
