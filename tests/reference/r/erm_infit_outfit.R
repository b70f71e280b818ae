# Infit/outfit reference: eRm's Rasch fit on its raschdat1 data (100 persons x 30 items).
# Run: Rscript tests/reference/r/erm_infit_outfit.R  (from the repository root)
# Writes tests/reference/raschdat1.txt (the data) and tests/reference/erm_infit_outfit.json.
library(eRm)
data(raschdat1)
X <- as.matrix(raschdat1)
res <- RM(X)
pp <- person.parameter(res)
fit <- itemfit(pp)
# Person estimates for every row (eRm excludes all-0 / all-1 rows from item fit).
theta <- rep(NA_real_, nrow(X))
th <- coef(pp)  # named by person, includes interpolated extremes
theta[as.integer(sub("P", "", names(th)))] <- th
raw <- rowSums(X)
excluded <- raw == 0 | raw == ncol(X)
theta[excluded] <- NA
writeLines(apply(X, 1, paste, collapse = ""), "tests/reference/raschdat1.txt")
num <- function(v) paste0("[", paste(sprintf("%.10g", v), collapse = ", "), "]")
numna <- function(v) paste0("[", paste(ifelse(is.na(v), "null", sprintf("%.10g", v)), collapse = ", "), "]")
json <- paste0('{\n  "source": "R ', R.version$major, '.', R.version$minor, ', eRm ', packageVersion("eRm"),
  ': res <- RM(raschdat1); pp <- person.parameter(res); itemfit(pp). Rasch P = exp(theta + easiness) / (1 + ...), easiness = res$betapar (Bagdar Rasch intercept); theta = coef(pp) (ML, persons with all-0/all-1 excluded: null)",\n',
  '  "intercept": ', num(res$betapar), ',\n',
  '  "theta": ', numna(theta), ',\n',
  '  "outfit": ', num(fit$i.outfitMSQ), ',\n',
  '  "infit": ', num(fit$i.infitMSQ), ',\n',
  '  "outfit_z": ', num(fit$i.outfitZ), ',\n',
  '  "infit_z": ', num(fit$i.infitZ), '\n}\n')
writeLines(json, "tests/reference/erm_infit_outfit.json")
