"""The movie catalogue: models, the repository port and ``MovieService``."""
