"""Talking like a chat: small talk, the loaded library's catalog, suggested next questions and the phrasing
of headings as questions."""
