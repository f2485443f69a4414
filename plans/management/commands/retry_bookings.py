from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from plans.services import bookings_retry_due


class Command(BaseCommand):
    help = (
        "Retry failed bookings below the attempt limit, resume bookings whose runner died or whose "
        "dispatch was lost, and finish cancellations the provider did not take."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--max-attempts",
            type=int,
            default=settings.LUNA_BOOKING_MAX_ATTEMPTS,
            help="Leave failed bookings alone once they have had this many attempts "
            "(default: LUNA_BOOKING_MAX_ATTEMPTS, %(default)s).",
        )

    def handle(self, *args, max_attempts: int, **options) -> None:
        if max_attempts < 1:
            raise CommandError("--max-attempts must be at least 1.")
        report = bookings_retry_due(max_attempts=max_attempts)
        if report.released_claims:
            self.stdout.write(f"Released {report.released_claims} stale claim(s).")
        for booking in report.retried + report.resumed:
            detail = booking.external_ref or booking.last_error
            self.stdout.write(f"{booking.id}  {booking.status:<9}  attempts={booking.attempts}  {detail}")
        booked = sum(1 for booking in report.retried if booking.status == "booked")
        self.stdout.write(
            self.style.SUCCESS(
                f"Retried {len(report.retried)} failed booking(s), {booked} now booked; "
                f"resumed {len(report.resumed)}; {report.over_limit} left at the limit of {max_attempts} attempts."
            )
        )
