"""The local dashboard (``immersion dashboard``) and the shareable HTML report.

``app.create_app`` needs the ``dashboard`` extra (Starlette); ``api`` and ``report`` do not,
so ``immersion report`` works on a plain install.
"""
