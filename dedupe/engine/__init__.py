"""Column-oriented Fellegi–Sunter matching engine behind ``crmsync dedupe``.

Say what each column is (:class:`EngineConfig`); :func:`deduplicate` standardises,
blocks, compares, estimates m/u with EM, scores, clusters and explains.
"""

from dedupe.engine.config import ConfigError, EngineConfig, load_config, parse_config
from dedupe.engine.run import EngineResult, deduplicate

__all__ = [
    "ConfigError",
    "EngineConfig",
    "EngineResult",
    "deduplicate",
    "load_config",
    "parse_config",
]
