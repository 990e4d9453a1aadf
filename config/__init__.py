"""Example configuration, shipped as package data for `nashra init`."""
