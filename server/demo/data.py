"""What the demo month is made of: its outreach venues, its people, what happens at the
counters and venues, and what the journals say. Places are plausible Nishinomiya ones;
no person in them is real."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from server.sync import ops

Place = Literal["counter", "venue", "any"]
DEMO_HOURS = (dt.time(9), dt.time(17))
VENUE_HOURS = (dt.time(10), dt.time(15))
EVENT_HOURS = (dt.time(10), dt.time(16))
# (code, Japanese name, English name, address, venue_kind, venue_service): a mall or a
# station hosts application support; the rest take applications whose cards are mailed.
DEMO_VENUES = (
    (
        "kwansei-uegahara",
        "関西学院大学 上ケ原キャンパス",
        "Kwansei Gakuin University, Uegahara",
        "西宮市上ケ原一番町1-155",
        "university",
        "reception",
    ),
    (
        "gardens",
        "阪急西宮ガーデンズ",
        "Hankyu Nishinomiya Gardens",
        "西宮市高松町14-2",
        "commercial",
        "support",
    ),
    (
        "chuo-kominkan",
        "中央公民館",
        "Central Community Hall",
        "西宮市高松町4-8 プレラにしのみや4階",
        "community_hall",
        "reception",
    ),
    (
        "kotoen-campus",
        "甲東学園大学 甲東園キャンパス",
        "Koto Gakuen University, Kotoen Campus",
        "西宮市甲東園3丁目7-20",
        "university",
        "reception",
    ),
    (
        "koshien-baymall",
        "甲子園ベイモール",
        "Koshien Bay Mall",
        "西宮市甲子園八番町2-6",
        "commercial",
        "support",
    ),
    (
        "hama-market",
        "ハーバーマート西宮浜店",
        "Harbor Mart Nishinomiya-hama",
        "西宮市西宮浜3丁目12-1",
        "commercial",
        "support",
    ),
    (
        "naruo-kominkan",
        "鳴尾公民館",
        "Naruo Community Hall",
        "西宮市鳴尾町3丁目5-14",
        "community_hall",
        "reception",
    ),
    (
        "imazu-shiminkan",
        "今津市民館",
        "Imazu Civic Hall",
        "西宮市今津曙町6-21",
        "community_hall",
        "reception",
    ),
    (
        "shukugawa-shiminkan",
        "夙川市民館",
        "Shukugawa Civic Hall",
        "西宮市羽衣町2-18",
        "community_hall",
        "reception",
    ),
    (
        "yamaguchi-kominkan",
        "山口公民館",
        "Yamaguchi Community Hall",
        "西宮市山口町下山口4丁目3-8",
        "community_hall",
        "reception",
    ),
    (
        "kitaguchi-library",
        "北口図書館 集会室",
        "Kitaguchi Library, Meeting Room",
        "西宮市北口町1-2 アクタ西宮東館6階",
        "other",
        "reception",
    ),
    (
        "kitaguchi-concourse",
        "西宮北口駅 南改札前コンコース",
        "Nishinomiya-Kitaguchi Station, South Concourse",
        "西宮市甲風園1丁目1-1",
        "other",
        "support",
    ),
)
PEOPLE = (
    ("総括 太郎", "overall_manager"),
    ("業務 一郎", "business_manager"),
    ("業務 二葉", "business_manager"),
    *((f"副責 {name}", "deputy_manager") for name in ("三奈", "四郎", "五十鈴", "六花", "七瀬")),
    *(
        (f"従事 {name}", "operator")
        for name in ("五月", "六助", "七海", "八雲", "九十九", "十和", "桜", "楓", "葵", "蓮")
    ),
    ("市民課 職員", "city_staff"),
)
# In the order they happen over the month: every category at least once; the last few
# stay open or reported (a serious one goes overdue).
INCIDENTS: tuple[tuple[ops.IncidentCategory, ops.Severity, Place, str], ...] = (
    ("complaint", "medium", "counter", "待ち時間が長いとの苦情。整理券の案内を強化。"),
    ("system_failure", "high", "counter", "交付端末が約20分応答せず。J-LIS側の障害と判明。"),
    ("equipment_failure", "low", "venue", "写真用プリンターの紙詰まり。予備機に切替。"),
    ("lost_property", "low", "venue", "会場で傘の忘れ物。施設管理者へ引渡し。"),
    ("personal_information", "critical", "counter", "申請書控えを別の方に渡しかけ、その場で回収。"),
    ("accident_injury", "medium", "venue", "来場者が段差でつまずく。けがなし。注意表示を設置。"),
    ("other", "low", "venue", "駐車場案内の問い合わせが多数。案内板を追加。"),
    ("complaint", "low", "venue", "スマホ申請サポートの説明がわかりにくいとの意見。"),
    ("system_failure", "medium", "counter", "予約システムのログインに時間がかかる。"),
    ("equipment_failure", "medium", "venue", "タブレットの充電不足。充電器を追加。"),
    ("lost_property", "low", "counter", "待合スペースで財布の忘れ物。警察へ届出。"),
    ("complaint", "high", "counter", "郵送交付の説明不足で再来庁となった件。"),
    ("accident_injury", "low", "counter", "職員がカード束で指を切る。絆創膏で処置。"),
    ("other", "low", "any", "停電の予告があり、端末の電源計画を確認。"),
    ("personal_information", "high", "venue", "受付済み申請書1枚が一時所在不明。箱の底で発見。"),
    ("unreasonable_demand", "high", "counter", "職員への大声での威圧的要求。警備員と対応。"),
)
# Taps per half hour (low, high) and the mix of what is tapped, by site code or else by
# the group of categories the site counts (an entry listed twice is tapped twice as often).
_ISSUING = ("issuance_reserved",) * 3 + ("issuance_walkin",) * 2
_COUNTER = (
    *_ISSUING,
    "application_new",
    "application_renewal",
    "application_lost",
    "certificate_new",
    "certificate_renewal",
    "certificate_renewal",
    "pin_reset",
    "card_update",
    "surrender",
    "suspension_lift",
    "consultation",
    "consultation",
    "phone",
    "no_show",
    "not_accepted",
)
_BRANCH = (
    "issuance_reserved",
    "issuance_walkin",
    "certificate_renewal",
    "pin_reset",
    "card_update",
    "consultation",
    "phone",
)
TRAFFIC: dict[str, tuple[tuple[int, int], tuple[str, ...]]] = {
    "honcho": ((2, 6), _COUNTER),
    "acta": ((2, 6), _COUNTER),
    "call-center": ((1, 3), ("phone",) * 6 + ("consultation", "pin_reset", "suspension_lift")),
    "office": ((0, 2), _BRANCH),
    "outreach": (
        (2, 5),
        ("visitors",) * 4
        + ("applications_mail",) * 3
        + ("photo",) * 2
        + (
            "consultation",
            "smartphone_support",
            "face_auth_card",
            "not_accepted_documents",
            "not_accepted_forwarding",
            "not_accepted_nonresident",
        ),
    ),
    "support": (
        (2, 6),
        ("visitors",) * 4
        + ("smartphone_support",) * 3
        + ("applications_collect",) * 2
        + ("photo", "consultation", "face_auth_card", "not_accepted_documents"),
    ),
}
ISSUED = frozenset(_ISSUING)
# A journal's 特記事項 and 引継ぎ事項 on an ordinary day, in turn.
NOTES = (
    "特記事項なし。",
    "午前中、交付端末の動作が一時遅くなった。",
    "予約外の来庁が多く、待ち時間は最大40分。",
    "特記事項なし。",
    "15時以降は来庁者が少なかった。",
    "電子証明書の更新通知を持参する方が多かった。",
)
HANDOVERS = (
    "",
    "予約票の用紙が残り少ない。発注済み。",
    "",
    "次回会場の鍵は9時に管理事務所で受け取る。",
    "写真用プリンターのインクを交換した。",
)
RETURN_COMMENT = "苦情の対応内容を特記事項に追記してください。"
REVISED_NOTE = "待ち時間の苦情には整理券の案内で対応した。"
REVISED_REASON = "市からの差し戻しを受けて苦情対応を追記"
