"""Independent providers that prove the checker's verdicts on strangers.

``asgi_provider`` is a video API written from the contract alone (no code shared with the
bundled provider); ``proxy`` rewrites any base URL's answers in legal ways (extra keys and
headers, chunked media, a CDN redirect, 429/503 flow control). The ``test_*`` modules run the
checker's command line against them with a bare ``--base-url``: legal variations must pass,
each fault must fail the check named for its rule. Checker runs are marked ``slow``.
"""
