# Logistic-regression DIF reference with R's glm on tests/reference/dif_mh.txt.
# Run from the repository root: Rscript tests/reference/r/logistic_dif.R
# Writes tests/reference/dif_logistic.json.
lines <- readLines("tests/reference/dif_mh.txt")
group <- as.integer(sub(" .*", "", lines))
X <- do.call(rbind, lapply(strsplit(sub(".* ", "", lines), ""), as.integer))
S <- rowSums(X)
l0 <- l1 <- l2 <- lnull <- g <- numeric(ncol(X))
for (i in seq_len(ncol(X))) {
  y <- X[, i]
  lnull[i] <- as.numeric(logLik(glm(y ~ 1, family = binomial)))
  l0[i] <- as.numeric(logLik(glm(y ~ S, family = binomial)))
  m1 <- glm(y ~ S + group, family = binomial)
  l1[i] <- as.numeric(logLik(m1)); g[i] <- coef(m1)[["group"]]
  l2[i] <- as.numeric(logLik(glm(y ~ S * group, family = binomial)))
}
n <- nrow(X)
nagelkerke <- function(l, ln) (1 - exp(2 * (ln - l) / n)) / (1 - exp(2 * ln / n))
num <- function(v) paste0("[", paste(sprintf("%.12g", v), collapse = ", "), "]")
json <- paste0('{\n  "source": "R ', R.version$major, '.', R.version$minor,
  ' glm(family = binomial) per item on dif_mh.txt: M0 y ~ S, M1 y ~ S + group, M2 y ~ S * group (S = total score incl. the item, group 1 = focal); chi-squares from logLik differences; Nagelkerke R2 from the intercept-only logLik",\n',
  '  "uniform_chi_square": ', num(2 * (l1 - l0)), ',\n',
  '  "nonuniform_chi_square": ', num(2 * (l2 - l1)), ',\n',
  '  "total_chi_square": ', num(2 * (l2 - l0)), ',\n',
  '  "group_effect": ', num(g), ',\n',
  '  "delta_r2": ', num(nagelkerke(l2, lnull) - nagelkerke(l0, lnull)), '\n}\n')
writeLines(json, "tests/reference/dif_logistic.json")
