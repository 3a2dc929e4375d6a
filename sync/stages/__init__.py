"""The pipeline stages of one sync run, each a plain function over a :class:`SyncContext`.

pull → map → gate → match → survive → publish → summary. Airflow tasks and the
``crmsync run`` command call the same functions.
"""
