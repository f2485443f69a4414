from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    """Offline evaluation: the check-in reader, `evaluate` (offline and through the API) and `bench_reco`.

    An app only so that Django finds its commands; it has no models. It may import every app but
    world and ops; world imports its check-in reader.
    """

    name = "evaluation"
    verbose_name = "Evaluation"
