"""Realistic demo data for ``madoguchi demo``. It grows as features land; rerunning is safe."""

from __future__ import annotations

from server.sites import service as sites

DEMO_VENUES = (
    {
        "code": "kwansei-uegahara",
        "name_ja": "関西学院大学 上ケ原キャンパス",
        "name_en": "Kwansei Gakuin University, Uegahara Campus",
        "address": "西宮市上ケ原一番町1-155",
    },
    {
        "code": "gardens",
        "name_ja": "阪急西宮ガーデンズ",
        "name_en": "Hankyu Nishinomiya Gardens",
        "address": "西宮市高松町14-2",
    },
    {
        "code": "chuo-kominkan",
        "name_ja": "中央公民館",
        "name_en": "Central Community Hall",
        "address": "西宮市高松町4-8 プレラにしのみや4階",
    },
)


async def load_demo() -> list[str]:
    """Add the demo data that is not there yet.

    Returns:
        Codes of the venues added by this run.
    """
    added = []
    for venue in DEMO_VENUES:
        try:
            await sites.add_outreach_venue(**venue)
        except sites.SiteCodeTaken:
            continue
        added.append(venue["code"])
    return added
