"""samenwerkingsim: why shared civil-service organisations of Dutch municipalities last.

An agent-based model of ambtelijke fusies: municipalities, wethouders and a director whose
trust, ownership and autonomy trade-offs decide whether the shared organisation lasts,
dissolves, or becomes a full municipal merger.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("samenwerkingsim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"
