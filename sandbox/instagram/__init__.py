"""The Instagram sandbox: a small HTTP server implementing the Instagram API with Instagram
Login endpoints Likely uses, over accounts kept as folders. See server.py and accounts.py;
`python -m sandbox.instagram` runs it, `python -m sandbox.instagram.make_demo` writes the
demo account.
"""
