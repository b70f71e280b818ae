# Mantel-Haenszel DIF reference computed with R's stats::mantelhaen.test on simulated
# data (written by this script). Run from the repository root:
#   Rscript tests/reference/r/mantel_haenszel.R
# Writes tests/reference/dif_mh.txt (group then 10 responses per line) and
# tests/reference/dif_mh.json.
set.seed(20261123)
n <- 500; J <- 10
d <- seq(1.2, -1.2, length.out = J)
sim <- function(theta, d) {
  p <- plogis(outer(theta, d, "+"))
  matrix(as.integer(runif(length(p)) < p), nrow = length(theta))
}
d_focal <- d; d_focal[3] <- d_focal[3] - 0.8; d_focal[8] <- d_focal[8] + 0.5
X <- rbind(sim(rnorm(n), d), sim(rnorm(n, -0.3), d_focal))
group <- rep(0:1, each = n)
writeLines(paste(group, apply(X, 1, paste, collapse = "")), "tests/reference/dif_mh.txt")
score <- rowSums(X)
stat <- p <- or <- se <- numeric(J)
for (i in 1:J) {
  levels <- sort(unique(score))
  tab <- array(0, c(2, 2, length(levels)))
  for (k in seq_along(levels)) {
    s <- score == levels[k]
    tab[1, 1, k] <- sum(s & group == 0 & X[, i] == 1)
    tab[1, 2, k] <- sum(s & group == 0 & X[, i] == 0)
    tab[2, 1, k] <- sum(s & group == 1 & X[, i] == 1)
    tab[2, 2, k] <- sum(s & group == 1 & X[, i] == 0)
  }
  tab <- tab[, , apply(tab, 3, sum) > 1, drop = FALSE]
  m <- mantelhaen.test(tab, correct = TRUE)
  stat[i] <- m$statistic; p[i] <- m$p.value; or[i] <- m$estimate
  se[i] <- (log(m$conf.int[2]) - log(m$conf.int[1])) / (2 * qnorm(0.975))
}
num <- function(v) paste0("[", paste(sprintf("%.10g", v), collapse = ", "), "]")
json <- paste0('{\n  "source": "R ', R.version$major, '.', R.version$minor,
  ' stats::mantelhaen.test(correct = TRUE) per item on 2x2xK tables (reference = group 0 right/wrong, focal = group 1 right/wrong; strata = total score incl. the studied item; strata with fewer than 2 persons dropped); data simulated by tests/reference/r/mantel_haenszel.R (Rasch, 500 + 500 persons, focal mean -0.3, planted DIF: item 3 (index 2) 0.8 logit harder, item 8 (index 7) 0.5 easier for the focal group); log_odds_ratio_se from the Robins-Breslow-Greenland 95% interval",\n',
  '  "chi_square": ', num(stat), ',\n',
  '  "p_value": ', num(p), ',\n',
  '  "odds_ratio": ', num(or), ',\n',
  '  "log_odds_ratio_se": ', num(se), '\n}\n')
writeLines(json, "tests/reference/dif_mh.json")
