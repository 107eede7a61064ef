"""Authoring: add a département's scheme from a draft (YAML) that staff fill in, without writing Turtle.

``outline`` + ``draftgen`` turn a scheme's text into a draft to review; ``check``, ``turtle`` and ``importer``
turn a reviewed draft into ``data/schemes/<code>-<name>-<start>-<end>.ttl`` only if the whole graph still
validates. The format is described in ``spec`` and ``templates/brouillon-schema.yaml``; the guide for staff
is ``docs/ajouter-un-schema.md``.
"""
