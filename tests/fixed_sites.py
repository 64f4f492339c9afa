"""The contract's five fixed sites, as the issue names them, in contract order."""

FIXED_JA = [
    "本庁舎 市民課",
    "マイナンバーコールセンター",
    "アクタ西宮ステーション",
    "越木岩分室",
    "西宮浜分室",
]
FIXED_EN = [
    "City Hall, Citizens Division",
    "My Number Call Center",
    "ACTA Nishinomiya Station",
    "Koshikiiwa Branch",
    "Nishinomiya-hama Branch",
]
