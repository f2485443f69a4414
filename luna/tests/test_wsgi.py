from rest_framework.authtoken.models import Token

from luna.wsgi import request_path_warm
from recommendations.models import Impression


def test_the_request_answered_ahead_is_a_401_that_reads_and_stores_nothing(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert request_path_warm() == 401
    assert not Impression.objects.exists()
    assert not Token.objects.exists()
