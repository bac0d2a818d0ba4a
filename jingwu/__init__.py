"""Jingwu (智慧精武): grid-based governance and the closed case loop."""

__version__ = "0.1.0"
