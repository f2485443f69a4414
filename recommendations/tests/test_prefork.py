import logging

from experiments import impressions
from luna.metrics import REQUEST_SECONDS
from recommendations.prefork import request_path_warm


def requests_counted() -> float:
    return sum(
        sample.value
        for metric in REQUEST_SECONDS.collect()
        for sample in metric.samples
        if sample.name.endswith("_count")
    )


def test_the_request_answered_ahead_is_a_401_that_reads_logs_counts_and_records_nothing(
    db, settings, caplog, django_assert_num_queries
):
    # A production host list and HTTPS redirect: the middleware would answer 400 or 301 instead.
    settings.ALLOWED_HOSTS = ["example.com"]
    settings.SECURE_SSL_REDIRECT = True
    counted = requests_counted()
    with caplog.at_level(logging.INFO), django_assert_num_queries(0):
        assert request_path_warm() == 401
    assert requests_counted() == counted
    assert not [record for record in caplog.records if record.name in ("django.request", "luna.request")]
    assert not impressions._pending
