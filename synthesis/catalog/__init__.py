"""The data a user has, as a catalog: the loaders of installed dataset packages and the data
files of the workspace. The task text is matched against it by retrieval; a data source is
only ever chosen among its entries, never made up.

entries.py   one catalog entry and how it loads
sources.py   what each dataset package offers (runs in a sandboxed child, never in the editor)
store.py     the cached index and the lazily read columns, built through that child
words.py     the tokens retrieval and the rules compare
retrieval.py BM25 ranking of entries against a task text
resolve.py   from a task text to one entry, or a clear error with the likely choices
"""
