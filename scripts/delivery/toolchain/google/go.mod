module booster-soccer.local/toolchain/google

go 1.26.0

require github.com/hashicorp/terraform-provider-google v1.20.1-0.20260828184646-f3721fb45fa3
