"""Models and AI services for Datamarket: risk and credit models served as APIs with model cards."""

__version__ = "0.1.0"
