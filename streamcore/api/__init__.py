"""The optional ASGI adapter (``streamcore[api]``): REST routes over the core's services.

Importing this package costs nothing: FastAPI is imported only by the modules that build the
app, so that ``import streamcore`` and the CLI never load it.
"""
