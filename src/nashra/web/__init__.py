"""Web face: the ASGI app readers and subscribers talk to (Starlette, served by uvicorn)."""
