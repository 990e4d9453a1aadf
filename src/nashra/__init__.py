"""Nashra: newsletter and social publishing automation for Arabic-language newsrooms."""

__version__ = "0.1.0"
