"""qp-conventions: the Quartiers productifs engagement conventions, from YAML to Word."""

__version__ = "0.2.0"
