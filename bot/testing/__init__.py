"""Shared fakes and fixtures for tests/, bench/ and scripts/ alike (they never import each other): the app run
as a real subprocess (apprunner), a scripted OpenAI-compatible server (fake_openai), a scripted backend
(scripted), a web site (siteserver), a generated corpus (corpus), PostgreSQL, Redis, nginx and a Chroma
server on loopback ports (pgserver, services), the verifier's calibration sentences (support_cases).

Only what is remote is faked (a model's server, a web site); every part of careerbot they drive is real.
Nothing in the app imports this package.
"""
