"""Entry point of the MCP Bundle (`manifest.json`, server type "uv"): the host runs this file with uv.

It lives outside the package so that running it as a script puts only this directory on `sys.path`
(a module of the package run as a script would shadow standard-library names with its siblings).
"""

from openrouterai_mcp.cli import main

main()
