"""The organizer's dashboard: a small web app served by the bot process, for admins only.

`auth` signs single-use login links and keeps sessions; `queries` is the only code that
reads the community's tables for the pages; `pages` turns query results into tables and
charts (`charts`, server-side SVG); `server` is the aiohttp app.
"""
