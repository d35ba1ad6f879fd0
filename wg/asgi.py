"""The ASGI application for servers (``uvicorn wg.asgi:app``), built from the environment."""

from wg import logging_filters
from wg.app import create_app
from wg.settings import load_settings

logging_filters.install()
app = create_app(load_settings())
