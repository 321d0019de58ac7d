"""Tests of the alerts package: deadline engine, alert rules, routing, channels."""
