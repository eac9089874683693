"""What a desk reads: files (``report``: shares CSV, JSON result, Markdown report) and figures
(``plots``, the ``plot`` extra).

The top of the package: nothing below imports it except the lazy ``plot()`` accessors of the
results, which is why ``plots`` imports nothing of hedgeopt but its exceptions and reads the
results through small protocols.
"""
