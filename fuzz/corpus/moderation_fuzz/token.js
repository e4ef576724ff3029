const t = "bwk_0123456789abcdefghijABCDEFGHIJ000000";
