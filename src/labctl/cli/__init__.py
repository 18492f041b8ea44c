"""Thin Typer commands: parse, call, render. The logic lives in the other packages."""
