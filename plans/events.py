"""What other apps may listen to: plans know nothing of who listens (recommendations attributes
plans to what was recommended)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that created a plan: plan=, recommendation_id= (a UUID the client
# sent naming the answer that suggested the venue, or None).
plan_created = Signal()
