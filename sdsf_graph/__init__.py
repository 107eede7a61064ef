"""SDSF Graph: the knowledge graph of the French schémas départementaux des services aux familles."""

__version__ = "0.1.0"
