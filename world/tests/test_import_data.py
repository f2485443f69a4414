from __future__ import annotations

import uuid
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from social.models import SocialEdge
from social.tests.factories import SocialEdgeFactory
from users.models import User
from venues.models import Interaction, Venue
from venues.tests.factories import VenueFactory

pytestmark = pytest.mark.django_db

ALICE_ID = "a11ce000-0000-4000-8000-000000000001"
BOB_ID = "b0b00000-0000-4000-8000-000000000002"
BAR_ID = "ba000000-0000-4000-8000-000000000003"
USERS_HEADER = "id,handle,name,home_lat,home_lng,age"
VENUES_HEADER = "id,name,description,category,lat,lng,price_level,rating"
INTERACTIONS_HEADER = "user_id,venue_id,interaction_type,dwell_time_seconds"
EDGES_HEADER = "user_id,other_user_id,relationship_type,strength"


def write(directory: Path, name: str, *lines: str) -> None:
    (directory / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def import_data(directory: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_data", str(directory), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def skipped(directory: Path) -> str:
    """What `import_data --skip-invalid` reports of the rows it skipped (its stderr)."""
    err = StringIO()
    call_command("import_data", str(directory), "--skip-invalid", stdout=StringIO(), stderr=err)
    return err.getvalue()


def rejection(directory: Path, *args: str) -> str:
    with pytest.raises(CommandError) as error:
        import_data(directory, *args)
    return str(error.value)


@pytest.fixture
def people_and_bar(tmp_path: Path) -> Path:
    write(
        tmp_path,
        "users.csv",
        USERS_HEADER,
        f"{ALICE_ID},alice,Alice Chen,40.7306,-73.9352,25",
        f"{BOB_ID},bob,Bob Singh,,,",
    )
    write(tmp_path, "venues.csv", VENUES_HEADER, f"{BAR_ID},Sunset Bar,Rooftop drinks.,Bar,40.73,-73.99,3,4.7")
    return tmp_path


def test_it_loads_users_venues_interactions_and_edges(people_and_bar: Path):
    write(
        people_and_bar,
        "interactions.csv",
        INTERACTIONS_HEADER,
        f"{ALICE_ID},{BAR_ID},like,260",
        f"{BOB_ID},{BAR_ID},view,",
    )
    write(people_and_bar, "edges.csv", EDGES_HEADER, f"{ALICE_ID},{BOB_ID},friend,0.95", f"{BOB_ID},{ALICE_ID},,")
    write(people_and_bar, "users.csv", USERS_HEADER, *(people_and_bar / "users.csv").read_text().splitlines()[1:])

    output = import_data(people_and_bar)

    assert "users.csv: loaded 2 of 2 rows" in output
    assert "interactions.csv: loaded 2 of 2 rows" in output
    alice = User.objects.get(id=ALICE_ID)
    assert (alice.handle, alice.name, alice.home_lat, alice.home_lng, alice.age) == (
        "alice",
        "Alice Chen",
        40.7306,
        -73.9352,
        25,
    )
    assert not alice.has_usable_password()
    bob = User.objects.get(id=BOB_ID)
    assert (bob.home_lat, bob.home_lng, bob.age) == (None, None, None)
    bar = Venue.objects.get(id=BAR_ID)
    assert (bar.category, bar.price_level, bar.rating) == ("bar", 3, Decimal("4.7"))
    stored = sorted(Interaction.objects.values_list("interaction_type", "dwell_time_seconds"))
    assert stored == [("like", 260), ("view", 0)]
    back = SocialEdge.objects.get(user_id=BOB_ID)
    assert (back.relationship_type, back.strength) == ("friend", 0.5)  # the model's defaults for empty cells


def test_it_generates_an_id_when_the_cell_is_blank(tmp_path: Path):
    write(tmp_path, "users.csv", USERS_HEADER, ",carol,Carol Martinez,,,24")

    import_data(tmp_path)

    assert isinstance(User.objects.get(handle="carol").id, uuid.UUID)


def test_a_file_with_one_bad_row_loads_nothing_and_the_error_names_its_line_and_field(tmp_path: Path):
    write(tmp_path, "users.csv", USERS_HEADER, ",alice,Alice,,,25", ",bob,Bob,,,12", ",carol,Carol,,,30")

    message = rejection(tmp_path)

    assert "users.csv line 3, field 'age'" in message
    assert "greater than or equal to 13" in message
    assert not User.objects.exists()


def test_skip_invalid_loads_the_good_rows_and_reports_the_bad_ones(tmp_path: Path):
    write(tmp_path, "users.csv", USERS_HEADER, ",alice,Alice,,,25", ",bob,Bob,,,12", ",carol,Carol,,,30")
    err = StringIO()
    out = StringIO()

    call_command("import_data", str(tmp_path), "--skip-invalid", stdout=out, stderr=err)

    assert sorted(User.objects.values_list("handle", flat=True)) == ["alice", "carol"]
    assert "loaded 2 of 3 rows" in out.getvalue() and "skipped 1 bad row" in out.getvalue()
    assert "users.csv line 3, field 'age'" in err.getvalue()


def test_files_before_a_rejected_file_stay_loaded(people_and_bar: Path):
    write(people_and_bar, "interactions.csv", INTERACTIONS_HEADER, f"{ALICE_ID},{BAR_ID},like,90000")

    message = rejection(people_and_bar)

    assert "interactions.csv line 2, field 'dwell_time_seconds'" in message
    assert User.objects.count() == 2 and Venue.objects.count() == 1
    assert not Interaction.objects.exists()


def test_it_rejects_a_handle_taken_regardless_of_case(tmp_path: Path, alice):
    write(tmp_path, "users.csv", USERS_HEADER, ",ALICE,Another Alice,,,", ",dora,Dora,,,", ",Dora,Dora Again,,,")

    message = rejection(tmp_path)

    assert "users.csv line 2, field 'handle'" in message
    assert User.objects.count() == 1


def test_it_reports_a_handle_repeated_within_the_file_on_its_own_line(tmp_path: Path):
    write(tmp_path, "users.csv", USERS_HEADER, ",dora,Dora,,,", ",Dora,Dora Again,,,", ",no!,Bad Handle,,,")
    report = skipped(tmp_path)

    assert "users.csv line 3, field 'handle': The handle 'Dora' is already taken" in report
    assert "users.csv line 4, field 'handle': Handle must be 3-30 characters" in report
    assert list(User.objects.values_list("handle", flat=True)) == ["dora"]


def test_it_rejects_a_home_latitude_without_longitude(tmp_path: Path):
    write(tmp_path, "users.csv", USERS_HEADER, ",dora,Dora,40.7,,")

    message = rejection(tmp_path)

    assert "users.csv line 2, field 'home_lng': home_lat and home_lng must be given together" in message


def test_it_rejects_an_id_that_is_already_stored(tmp_path: Path, alice):
    write(tmp_path, "users.csv", USERS_HEADER, f"{alice.id},dora,Dora,,,")

    message = rejection(tmp_path)

    assert "users.csv line 2, field 'id'" in message and "already stored" in message
    assert User.objects.get(id=alice.id).handle == "alice"


@pytest.mark.parametrize(
    ("cells", "field", "message"),
    [
        ("Bar,,bar,nan,-73.9,2,4.5", "lat", "finite"),
        ("Bar,,bar,inf,-73.9,2,4.5", "lat", "finite"),
        ("Bar,,bar,91,-73.9,2,4.5", "lat", "less than or equal to 90"),
        ("Bar,,bar,40.7,-73.9,5,4.5", "price_level", "less than or equal to 4"),
        ("Bar,,bar,40.7,-73.9,2,5.1", "rating", "less than or equal to 5"),
        ("Bar,,bar,40.7,-73.9,2,4.55", "rating", "digits"),
        ("Bar,,bar,40.7,-73.9,2,NaN", "rating", ""),
        (",,bar,40.7,-73.9,2,4.5", "name", "required"),
        ("Bar,,not a slug,40.7,-73.9,2,4.5", "category", "slug"),
    ],
)
def test_it_rejects_a_venue_outside_the_model_rules(tmp_path: Path, cells: str, field: str, message: str):
    write(tmp_path, "venues.csv", VENUES_HEADER, f",{cells}")

    error = rejection(tmp_path)

    assert f"venues.csv line 2, field '{field}'" in error and message in error
    assert not Venue.objects.exists()


def test_it_rejects_dwell_time_over_a_day_and_unknown_types(alice, tmp_path: Path):
    bar = VenueFactory()
    write(
        tmp_path,
        "interactions.csv",
        INTERACTIONS_HEADER,
        f"{alice.id},{bar.id},like,86400",
        f"{alice.id},{bar.id},like,86401",
        f"{alice.id},{bar.id},visit,10",
        f"{alice.id},{bar.id},view,-1",
    )
    report = skipped(tmp_path)

    assert "line 3, field 'dwell_time_seconds'" in report
    assert "line 4, field 'interaction_type'" in report
    assert "line 5, field 'dwell_time_seconds'" in report
    assert list(Interaction.objects.values_list("dwell_time_seconds", flat=True)) == [86400]


def test_it_rejects_interactions_naming_unknown_or_malformed_ids(alice, tmp_path: Path):
    bar = VenueFactory()
    write(
        tmp_path,
        "interactions.csv",
        INTERACTIONS_HEADER,
        f"{uuid.uuid4()},{bar.id},like,10",
        f"{alice.id},not-a-uuid,like,10",
        f"{str(alice.id).upper()},{bar.id},like,10",
    )
    report = skipped(tmp_path)

    assert "line 2, field 'user_id': No user with id" in report
    assert "line 3, field 'venue_id': 'not-a-uuid' is not a valid UUID" in report
    assert Interaction.objects.get().user == alice


def test_it_rejects_self_edges_and_duplicate_edges(alice, bob, charlie, tmp_path: Path):
    SocialEdgeFactory(user=alice, other_user=bob)
    write(
        tmp_path,
        "edges.csv",
        EDGES_HEADER,
        f"{alice.id},{alice.id},friend,0.5",
        f"{alice.id},{bob.id},friend,0.5",
        f"{alice.id},{charlie.id},friend,0.5",
        f"{alice.id},{charlie.id},mutual,0.7",
        f"{bob.id},{charlie.id},friend,1.5",
    )
    report = skipped(tmp_path)

    assert "line 2, field 'other_user_id': A user cannot have an edge to themselves" in report
    assert "line 3, field 'other_user_id'" in report and "already stored" in report
    assert "line 5, field 'other_user_id'" in report and "appears earlier in the file" in report
    assert "line 6, field 'strength'" in report
    assert sorted(SocialEdge.objects.values_list("other_user__handle", flat=True)) == ["bob", "charlie"]


def test_it_rejects_a_file_with_a_bad_header_even_when_skipping_invalid_rows(tmp_path: Path):
    write(tmp_path, "users.csv", "handle,name,age,shoe_size", "dora,Dora,30,42")

    message = rejection(tmp_path, "--skip-invalid")

    assert "users.csv line 1" in message and "missing column(s) home_lat, home_lng" in message
    assert "unknown column(s) shoe_size" in message
    assert not User.objects.exists()


def test_it_refuses_a_directory_without_any_known_file(tmp_path: Path):
    with pytest.raises(CommandError, match="holds none of users.csv"):
        import_data(tmp_path)


def test_validation_does_not_query_the_database_per_row(alice, tmp_path: Path):
    bar = VenueFactory()

    def queries_for(rows: int) -> int:
        lines = [f"{alice.id},{bar.id},view,{dwell}" for dwell in range(rows)]
        write(tmp_path, "interactions.csv", INTERACTIONS_HEADER, *lines)
        with CaptureQueriesContext(connection) as queries:
            import_data(tmp_path)
        return len(queries)

    # 100 rows still fit one bulk insert on SQLite; on PostgreSQL rows go through one COPY.
    assert queries_for(3) == queries_for(100)
    assert Interaction.objects.count() == 103


def test_it_rejects_a_file_that_is_not_utf8_even_when_skipping_invalid_rows(tmp_path: Path):
    (tmp_path / "users.csv").write_bytes(f"{USERS_HEADER}\n,dora,Dora,,,\n,ren\xe9,Ren\xe9,,,\n".encode("latin-1"))

    message = rejection(tmp_path, "--skip-invalid")

    assert "users.csv line 3: not UTF-8 text" in message
    assert not User.objects.exists()


def test_it_rejects_null_characters_in_text(tmp_path: Path):
    write(tmp_path, "venues.csv", VENUES_HEADER, ",Bar,Drinks\x00,bar,40.7,-73.9,2,4.5")

    message = rejection(tmp_path)

    assert "venues.csv line 2, field 'description': Null characters are not allowed." in message
    assert not Venue.objects.exists()


def test_it_reports_a_row_with_the_wrong_number_of_cells(tmp_path: Path):
    write(tmp_path, "users.csv", USERS_HEADER, ",dora,Dora,,,", ",ren,Ren,,")

    message = rejection(tmp_path)

    assert "users.csv line 3: 5 cells, but the header has 6." in message
    assert not User.objects.exists()


def test_it_reads_windows_line_endings_a_byte_order_mark_and_quoted_cells(tmp_path: Path):
    text = f'\ufeff{VENUES_HEADER}\r\n,"Bar, Upstairs","Two floors,\r\nlate nights",bar,40.7,-73.9,2,4.5\r\n'
    (tmp_path / "venues.csv").write_bytes(text.encode("utf-8"))

    import_data(tmp_path)

    venue = Venue.objects.get()
    assert (venue.name, venue.description) == ("Bar, Upstairs", "Two floors,\r\nlate nights")


def test_it_refuses_interactions_and_edges_for_closed_accounts_as_the_api_does(alice, bob, tmp_path: Path):
    closed = User.objects.create_user("closed", name="Closed Account", is_active=False)
    bar = VenueFactory()
    write(
        tmp_path,
        "interactions.csv",
        INTERACTIONS_HEADER,
        f"{closed.id},{bar.id},like,10",
        f"{alice.id},{bar.id},like,10",
    )
    write(
        tmp_path,
        "edges.csv",
        EDGES_HEADER,
        f"{alice.id},{closed.id},friend,0.5",
        f"{closed.id},{alice.id},friend,0.5",
        f"{alice.id},{bob.id},friend,0.5",
    )
    report = skipped(tmp_path)

    assert f"interactions.csv line 2, field 'user_id': The user {closed.id} has closed their account." in report
    assert "edges.csv line 2, field 'other_user_id': The user" in report
    assert "edges.csv line 3, field 'user_id': The user" in report
    assert list(Interaction.objects.values_list("user__handle", flat=True)) == ["alice"]
    assert list(SocialEdge.objects.values_list("user__handle", "other_user__handle")) == [("alice", "bob")]


def test_the_same_interactions_file_twice_is_refused_unless_asked_for(people_and_bar: Path, tmp_path_factory):
    write(people_and_bar, "interactions.csv", INTERACTIONS_HEADER, f"{ALICE_ID},{BAR_ID},like,30")
    import_data(people_and_bar)
    assert Interaction.objects.count() == 1

    again = tmp_path_factory.mktemp("again")
    write(again, "interactions.csv", INTERACTIONS_HEADER, f"{ALICE_ID},{BAR_ID},like,30")
    message = rejection(again)
    assert "interactions.csv: this very file was imported on" in message and "Pass --again" in message
    assert Interaction.objects.count() == 1  # nothing doubled

    import_data(again, "--again")
    assert Interaction.objects.count() == 2  # on purpose
    write(again, "interactions.csv", INTERACTIONS_HEADER, f"{BOB_ID},{BAR_ID},view,5")
    import_data(again)  # another file: no question asked
    assert Interaction.objects.count() == 3


def test_a_rejected_import_does_not_say_done(tmp_path: Path):
    write(tmp_path, "users.csv", USERS_HEADER, f"{ALICE_ID},alice,Alice Chen,91,-73.9352,25")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import_data", str(tmp_path), stdout=out, stderr=StringIO())
    assert "Done in" not in out.getvalue()
