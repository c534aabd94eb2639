// gaterouter-train-classifier: trains the task classifier's softmax model on a labelled TSV, reports how it
// does on a held-out split, and writes the model file the gateway loads (data/classifier/model.txt).
//
// The TSV (data/classifier/README.md) has a header line, then `task<TAB>weight<TAB>lang<TAB>text`, the text
// as is: not quoted or escaped, without tabs or newlines. Every Nth line is held out for evaluation; with
// --all the shipped model is then trained again on every line.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "gaterouter/classify/features.hpp"
#include "gaterouter/classify/task_classifier.hpp"
#include "gaterouter/classify/trainer.hpp"
#include "gaterouter/openai/chat_request.hpp"

namespace {

using namespace gaterouter::classify;

constexpr const char* kUsage = R"(usage: gaterouter-train-classifier --data FILE [options]

Trains the task classifier on a TSV (header line, then task, weight, lang, text), prints precision, recall,
accuracy and a confusion matrix on the held-out lines, and writes the model.

options:
  --data FILE           the labelled prompts (e.g. data/classifier/prompts.tsv)
  --out FILE            where to write the model (e.g. data/classifier/model.txt); none: evaluate only
  --epochs N            passes over the training lines (default 15)
  --rate X              AdaGrad learning rate (default 0.2)
  --l2 X                L2 penalty (default 1e-4)
  --prune X             drop weights smaller than X in magnitude (default 0.1)
  --holdout-every N     hold out every Nth line for evaluation (default 5; 0: none)
  --seed N              seed of the example order (default 1)
  --all                 after evaluating, train the written model on every line
  --show-errors         list the held-out prompts the model gets wrong
  --help                this text
)";

struct Options {
    std::string data;
    std::string out;
    TrainingOptions training;
    std::size_t holdout_every = 5;
    bool all = false;
    bool show_errors = false;
};

struct Row {
    TaskType task;
    Weight weight;
    std::string lang;
    std::string text;
};

[[noreturn]] void usage_error(const std::string& message) {
    std::cerr << "gaterouter-train-classifier: " << message << "\n\n" << kUsage;
    std::exit(2);
}

template <class T>
T parse_number(const std::string& flag, const std::string& text) {
    std::istringstream in(text);
    T value{};
    if (!(in >> value) || !in.eof()) usage_error("bad value '" + text + "' for " + flag);
    return value;
}

Options parse_options(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (flag == "--help" || flag == "-h") {
            std::cout << kUsage;
            std::exit(0);
        }
        if (flag == "--all" || flag == "--show-errors") {
            (flag == "--all" ? o.all : o.show_errors) = true;
            continue;
        }
        if (i + 1 >= argc) usage_error("missing value for " + flag);
        const std::string value = argv[++i];
        if (flag == "--data") {
            o.data = value;
        } else if (flag == "--out") {
            o.out = value;
        } else if (flag == "--epochs") {
            o.training.epochs = parse_number<int>(flag, value);
        } else if (flag == "--rate") {
            o.training.learning_rate = parse_number<float>(flag, value);
        } else if (flag == "--l2") {
            o.training.l2 = parse_number<float>(flag, value);
        } else if (flag == "--prune") {
            o.training.prune_below = parse_number<float>(flag, value);
        } else if (flag == "--holdout-every") {
            o.holdout_every = parse_number<std::size_t>(flag, value);
        } else if (flag == "--seed") {
            o.training.seed = parse_number<std::uint64_t>(flag, value);
        } else {
            usage_error("unknown option " + flag);
        }
    }
    if (o.data.empty()) usage_error("--data is required");
    if (o.training.epochs < 1) usage_error("--epochs must be at least 1");
    if (o.holdout_every == 1) usage_error("--holdout-every 1 would hold out every line");
    return o;
}

std::vector<Row> read_rows(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + ": cannot open the file");
    std::vector<Row> rows;
    std::string line;
    std::size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (number == 1 || line.empty()) continue;  // the header
        const auto where = path + ":" + std::to_string(number) + ": ";
        std::size_t tab[3];
        std::size_t from = 0;
        for (auto& t : tab) {
            t = line.find('\t', from);
            if (t == std::string::npos)
                throw std::runtime_error(where + "expected task, weight, lang and text");
            from = t + 1;
        }
        const auto task = parse_task(line.substr(0, tab[0]));
        const auto weight = parse_weight(line.substr(tab[0] + 1, tab[1] - tab[0] - 1));
        if (!task) throw std::runtime_error(where + "unknown task '" + line.substr(0, tab[0]) + "'");
        if (!weight)
            throw std::runtime_error(where + "unknown weight '" +
                                     line.substr(tab[0] + 1, tab[1] - tab[0] - 1) + "'");
        rows.push_back(
            {*task, *weight, line.substr(tab[1] + 1, tab[2] - tab[1] - 1), line.substr(tab[2] + 1)});
    }
    return rows;
}

TrainingExample example_of(const Row& row) {
    return {row.task, extract_features(row.text)};
}

// What the gateway would see: the model as written to its file and read back.
TaskClassifier round_trip(const TaskClassifier& model) {
    std::stringstream text;
    model.write(text);
    return TaskClassifier::read(text, "(in memory)");
}

std::string percent(double x) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * x);
    return buf;
}

void report(const TaskClassifier& model, const std::vector<Row>& held_out, bool show_errors) {
    std::vector<TrainingExample> examples;
    for (const Row& r : held_out) examples.push_back(example_of(r));
    const Evaluation e = evaluate(model, examples);
    std::printf("held-out accuracy: %s (%zu of %zu)\n\n", percent(e.accuracy()).c_str(), e.correct(),
                e.total());

    std::printf("%-16s %9s %7s %8s\n", "task", "precision", "recall", "support");
    for (std::size_t t = 0; t < kTaskCount; ++t) {
        const auto task = static_cast<TaskType>(t);
        std::printf("%-16s %9.3f %7.3f %8zu\n", std::string(task_name(task)).c_str(), e.precision(task),
                    e.recall(task), e.support(task));
    }

    std::printf("\nconfusion matrix (rows: true task, columns: predicted)\n%-16s", "");
    for (std::size_t t = 0; t < kTaskCount; ++t) {
        std::printf(" %5.5s", std::string(task_name(static_cast<TaskType>(t))).c_str());
    }
    std::printf("\n");
    for (std::size_t t = 0; t < kTaskCount; ++t) {
        std::printf("%-16s", std::string(task_name(static_cast<TaskType>(t))).c_str());
        for (std::size_t p = 0; p < kTaskCount; ++p) std::printf(" %5zu", e.confusion[t][p]);
        std::printf("\n");
    }

    // By language, and the weight rule (over the predicted task) against the labelled weight class.
    std::map<std::string, std::pair<std::size_t, std::size_t>> by_lang;  // correct, total
    std::size_t weight_agree = 0;
    std::size_t weights[3][3] = {};  // [labelled][ruled]
    for (std::size_t i = 0; i < held_out.size(); ++i) {
        const Row& r = held_out[i];
        ClassifierInput input;
        input.text = r.text;
        input.prompt_tokens = gaterouter::openai::estimate_prompt_tokens(r.text.size(), 0, 1, 0);
        const Classification c = model.classify(input);
        if (show_errors && c.task != r.task) {
            std::printf("  wrong: %s as %s (%.2f): %s\n", std::string(task_name(r.task)).c_str(),
                        std::string(task_name(c.task)).c_str(), c.confidence, r.text.c_str());
        }
        auto& [correct, total] = by_lang[r.lang];
        correct += c.task == r.task;
        ++total;
        weight_agree += c.weight == r.weight;
        ++weights[static_cast<std::size_t>(r.weight)][static_cast<std::size_t>(c.weight)];
    }
    std::printf("\naccuracy by language:");
    for (const auto& [lang, counts] : by_lang) {
        std::printf(" %s %s (%zu)", lang.c_str(),
                    percent(static_cast<double>(counts.first) / static_cast<double>(counts.second)).c_str(),
                    counts.second);
    }
    std::printf(
        "\nweight rule agrees with the labelled weight class: %s (%zu of %zu)\n",
        percent(held_out.empty() ? 0.0
                                 : static_cast<double>(weight_agree) / static_cast<double>(held_out.size()))
            .c_str(),
        weight_agree, held_out.size());
    std::printf("(rows: labelled, columns: by the rule)  light standard heavy\n");
    for (std::size_t w = 0; w < 3; ++w) {
        std::printf("%-38s %5zu %8zu %5zu\n", std::string(weight_name(static_cast<Weight>(w))).c_str(),
                    weights[w][0], weights[w][1], weights[w][2]);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse_options(argc, argv);
    try {
        const std::vector<Row> rows = read_rows(o.data);
        std::vector<TrainingExample> train_split, all;
        std::vector<Row> held_out;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            TrainingExample ex = example_of(rows[i]);
            if (o.holdout_every > 0 && (i + 1) % o.holdout_every == 0) {
                held_out.push_back(rows[i]);
            } else {
                train_split.push_back(ex);
            }
            if (o.all) all.push_back(std::move(ex));
        }
        std::printf("%s: %zu examples; %zu to train, %zu held out", o.data.c_str(), rows.size(),
                    train_split.size(), held_out.size());
        if (o.holdout_every > 0)
            std::printf(" (every %zu%s)", o.holdout_every, o.holdout_every == 2 ? "nd" : "th");
        std::printf("\n");
        if (rows.empty()) throw std::runtime_error(o.data + ": no examples");

        TaskClassifier model = round_trip(train(train_split, o.training));
        std::printf("trained: %d epochs, rate %g, l2 %g, prune %g, seed %llu: %zu weights\n\n",
                    o.training.epochs, o.training.learning_rate, o.training.l2, o.training.prune_below,
                    static_cast<unsigned long long>(o.training.seed), model.weight_count());
        std::printf("training accuracy: %s\n", percent(evaluate(model, train_split).accuracy()).c_str());
        if (!held_out.empty()) report(model, held_out, o.show_errors);

        if (o.all) {
            model = round_trip(train(all, o.training));
            std::printf("\ntrained on all %zu examples: %zu weights\n", all.size(), model.weight_count());
        }
        if (!o.out.empty()) {
            model.save(o.out);
            std::ifstream written(o.out, std::ios::ate | std::ios::binary);
            std::printf("wrote %s (%lld bytes)\n", o.out.c_str(), static_cast<long long>(written.tellg()));
        }
    } catch (const std::exception& e) {
        std::cerr << "gaterouter-train-classifier: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
