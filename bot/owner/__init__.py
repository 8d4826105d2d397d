"""For the site owner: the exchange log (log), what it shows (insights) and the terminal report (report)."""
