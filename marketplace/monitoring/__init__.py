"""Watching use: dashboards of calls, revenue and the platform; abnormal-use detection over
usage records (alerts, suspended keys); notices of a product's new version to its holders."""
