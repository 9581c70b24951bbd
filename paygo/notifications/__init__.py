"""Employer notifications: outbox rows written with the business change, delivered afterwards."""
