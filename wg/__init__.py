"""wg — collaboration for multinational track-II working groups."""

__version__ = "0.1.0"
