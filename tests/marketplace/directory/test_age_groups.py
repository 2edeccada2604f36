"""Who a listing serves by age: CQC's service user bands as age groups, and the ages they cover."""

from __future__ import annotations

import pytest

from marketplace.directory.cqc import age_groups_from_bands
from marketplace.directory.models import AgeGroup, age_range

A = AgeGroup


@pytest.mark.parametrize(
    ("specialisms", "groups"),
    [
        (["Caring for adults over 65 yrs", "Dementia"], [A.OLDER_PEOPLE]),
        (["Caring for adults under 65 yrs", "Caring for adults over 65 yrs"],
         [A.ADULTS, A.OLDER_PEOPLE]),
        # The care directory's wording, and the API's shorter one.
        (["Caring for children (0 - 18yrs)"], [A.CHILDREN, A.YOUNG_PEOPLE]),
        (["Caring for children"], [A.CHILDREN, A.YOUNG_PEOPLE]),
        (["Services for everyone"], list(AgeGroup)),
        (["Dementia", "Learning disabilities"], []),
        ([], []),
    ],
)  # fmt: skip
def test_cqc_service_user_bands_become_age_groups(specialisms, groups):
    assert age_groups_from_bands(specialisms) == groups


def test_the_age_groups_meet_without_a_gap_or_an_overlap():
    ages = [(group.minimum_age, group.maximum_age) for group in AgeGroup]
    assert ages[0][0] == 0 and ages[-1][1] is None
    for (_, oldest), (youngest, _) in zip(ages, ages[1:], strict=False):
        assert youngest == oldest + 1


@pytest.mark.parametrize(
    ("groups", "ages"),
    [
        ([A.CHILDREN], (0, 12)),
        ([A.YOUNG_PEOPLE, A.ADULTS], (13, 64)),
        ([A.CHILDREN, A.OLDER_PEOPLE], (0, None)),
        ([A.ADULTS, A.OLDER_PEOPLE], (18, None)),
        ([], None),
    ],
)
def test_the_ages_a_set_of_groups_covers(groups, ages):
    assert age_range(groups) == ages
