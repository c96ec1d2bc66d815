"""Point cards (积分卡) for residents without a smartphone: numbers and signed QR codes,
printing, PINs, redemption at a counter, and binding a card holder to WeChat later.
The card holders themselves are community members (server/community/card_holders.py)."""
