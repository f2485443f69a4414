"""What other apps may listen to: venues know nothing of who listens (recommendations attributes
interactions to what was recommended)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that stored an interaction: interaction=, recommendation_id= (a
# UUID the client sent naming the answer that showed the venue, or None).
interaction_recorded = Signal()
