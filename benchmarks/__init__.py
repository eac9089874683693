"""hedgeopt benchmark suites: ``python -m benchmarks [--suite continuous|wholeshare|all]``.

Every suite reports ratios of timings measured side by side in one run (never absolute times
alone), prints Markdown tables and writes ``benchmarks/results/<suite>.json``.
"""
