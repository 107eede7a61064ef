"""Typed errors: every failure the CLI or the server reports to a person is one of these."""


class SDSFError(Exception):
    """Base class of every error this package raises on purpose."""


class SourceError(SDSFError):
    """A source file cannot be read or parsed; names the file and, where known, the line."""

    def __init__(self, path: str, message: str, line: int | None = None):
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class BuildError(SDSFError):
    """The dataset cannot be built or written."""


class ArtifactMissing(SDSFError):
    """No built artifact where one is expected (run `sdsf build`)."""


class QueryError(SDSFError):
    """A query is malformed, unknown, or fails to run."""


class SettingsError(SDSFError):
    """A setting has a wrong name or value."""


class ValidationFailed(SDSFError):
    """The data has SHACL violations: the build refuses to serve it. Carries the report."""

    def __init__(self, report: object, text: str):
        self.report = report
        super().__init__(text)


class DraftError(SourceError):
    """A scheme draft (or outline text) cannot be read: names the file and, where known, the line."""


class DraftRefused(SDSFError):
    """A scheme draft does not conform: nothing is written. Carries the problems, each with its line."""

    def __init__(self, problems: list, text: str):
        self.problems = problems
        super().__init__(text)
