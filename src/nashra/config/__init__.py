"""Configuration: one TOML file, validated, with secrets read from the environment by name.

`load_settings` is the only way in. It reports every problem of a file at once, one line each,
naming the key and, where it can be found, the line, and changes nothing on disk.
"""

from nashra.config.loader import CONFIG_ENV, find_config_file, load_settings
from nashra.config.settings import Settings, SourceSettings

__all__ = ["CONFIG_ENV", "Settings", "SourceSettings", "find_config_file", "load_settings"]
