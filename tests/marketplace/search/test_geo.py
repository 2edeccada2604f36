import pytest

from marketplace.search.geo import Point, PostcodeError, locate, miles_between, normalise


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("ol11aa", "OL1 1AA"),
        (" OL1  1AA ", "OL1 1AA"),
        ("ol1", "OL1"),
        ("m1 1ae", "M1 1AE"),
        ("SW1A1AA", "SW1A 1AA"),
    ],
)
def test_postcodes_are_written_the_usual_way(typed, normal):
    assert normalise(typed) == normal


@pytest.mark.parametrize("typed", ["", "   ", "12345", "OL1 1A", "HELLO WORLD", "OL1 1AAA"])
def test_malformed_postcodes_are_refused_with_a_message(typed):
    with pytest.raises(PostcodeError) as caught:
        normalise(typed)
    assert "postcode" in caught.value.message


def test_an_outcode_is_placed_at_its_centroid_near_oldham():
    place = locate("OL1")
    assert place.outcode == "OL1" and place.postcode is None and not place.exact
    oldham_town_hall = Point(53.5409, -2.1114)
    assert miles_between(place.point, oldham_town_hall) < 2


def test_a_postcode_we_hold_is_placed_exactly_otherwise_by_its_outcode():
    from marketplace.search.geo import _postcodes

    known = next(iter(_postcodes()))
    assert locate(known.lower().replace(" ", "")).exact
    other = locate("OL1 9ZZ")
    assert not other.exact and other.outcode == "OL1"


def test_an_unknown_outcode_gets_a_clear_message():
    with pytest.raises(PostcodeError, match="cannot find ZZ9"):
        locate("ZZ9 9ZZ")


def test_distances_are_in_miles():
    manchester, london = Point(53.4808, -2.2426), Point(51.5074, -0.1278)
    assert 160 < miles_between(manchester, london) < 165
    assert miles_between(manchester, manchester) == 0
