"""A live, read-only web dashboard of the studies in a storage (``hypernas dashboard``).

:func:`create_app` is an ASGI application (Starlette) any ASGI server runs; the command runs it under
uvicorn. The page is plain HTML and one script, with plotly.js served from the plotly package: no
npm build, nothing loaded from the network.
"""

from hypernas.viz.dashboard.app import create_app

__all__ = ["create_app"]
